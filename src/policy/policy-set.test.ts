import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPolicySet, inSourceOrder } from './policy-set.js';

describe('policy sets', () => {
  it('restores source order from Cedar’s string-sorted parts', () => {
    const sorted = ['p0', 'p1', 'p10', 'p11', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'];
    assert.deepEqual(inSourceOrder(sorted), [
      'p0',
      'p1',
      'p2',
      'p3',
      'p4',
      'p5',
      'p6',
      'p7',
      'p8',
      'p9',
      'p10',
      'p11',
    ]);
  });

  it('knows each policy’s rule name, effect and annotations', () => {
    const { set, problems } = buildPolicySet([
      {
        origin: 'x.cedar',
        label: 'x.cedar',
        text:
          'permit (principal, action, resource);\n' +
          '@id("hold") @airlock("review") @reason("needs a second pair of eyes") forbid (principal, action, resource);\n' +
          '@airlock("deny") forbid (principal, action, resource);',
      },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      [...set!.rules.values()],
      [
        { rule: 'x.cedar:policy0', effect: 'allow', origin: 'x.cedar' },
        { rule: 'hold', effect: 'review', origin: 'x.cedar', note: 'needs a second pair of eyes' },
        { rule: 'x.cedar:policy2', effect: 'deny', origin: 'x.cedar' },
      ],
    );
    assert.equal(set!.strictest?.rule, 'x.cedar:policy2', 'a plain forbid is stricter than a review');
    assert.equal(set!.hasForbids, true);
  });

  it('shares one preparsed set between equal texts', () => {
    const source = { origin: 'a', label: 'a', text: 'permit (principal, action, resource);' };
    const first = buildPolicySet([source]).set!;
    assert.equal(buildPolicySet([source]).set!.id, first.id);
    assert.equal(first.hasForbids, false);
    assert.equal(first.needsEntities, true, 'a user policy may read entity data');
    assert.equal(buildPolicySet([{ ...source, selfContained: true }]).set!.needsEntities, false);
    assert.notEqual(
      buildPolicySet([{ ...source, text: `${source.text}\nforbid (principal, action, resource);` }]).set!.id,
      first.id,
    );
  });
});

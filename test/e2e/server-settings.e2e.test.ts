/**
 * Settings the server reports (ParameterStatus) that would make it read SQL differently from the
 * classifier: a session that starts with them (a role default) is refused, and one that reaches
 * them mid-session (through code Airlock cannot see) is closed before anything else runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

describe('unsafe server settings end the session', () => {
  let h: AirlockHarness;
  let token: string;

  before(async () => {
    h = await startAirlock();
    token = await h.server.createToken({ name: 'settings-agent', groups: ['agents'] });
    // Created directly on the server: its body is code the guardrails never saw.
    await h.cluster.psql(
      `create function public.loosen() returns text language sql as $$ select set_config('standard_conforming_strings', 'off', false) $$;
       grant execute on function public.loosen() to app`,
      'app',
    );
  });
  after(async () => {
    await h?.stop();
  });

  test('a function that turns standard_conforming_strings off mid-session closes the session', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'appdb') });
    client.on('error', () => {});
    await client.connect();
    try {
      await assert.rejects(client.query('select public.loosen()'), (err: Error & { code?: string }) => {
        assert.equal(err.code, '42501');
        assert.match(err.message, /standard_conforming_strings=off/);
        return true;
      });
      await assert.rejects(client.query('select 1'));
    } finally {
      await client.end().catch(() => {});
    }
  });

  test('a role default of standard_conforming_strings=off refuses the session at startup', async () => {
    await h.cluster.psql('alter role app set standard_conforming_strings = off');
    try {
      const client = new pg.Client({ connectionString: h.url(token, 'appdb') });
      await assert.rejects(client.connect(), (err: Error & { code?: string }) => {
        assert.equal(err.code, '42501');
        assert.match(err.message, /standard_conforming_strings=off/);
        return true;
      });
      await client.end().catch(() => {});
    } finally {
      await h.cluster.psql('alter role app reset standard_conforming_strings');
    }
    // With the default gone, sessions work again.
    const client = new pg.Client({ connectionString: h.url(token, 'appdb') });
    await client.connect();
    assert.equal((await client.query('select 1 as one')).rows[0].one, 1);
    await client.end();
  });
});

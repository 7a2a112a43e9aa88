/**
 * @module API_KEY: tokens with a vendor's published prefix and body: AWS access key ids
 * (`AKIA`/`ASIA` + 16 upper-case letters or digits), GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` +
 * 36 or more, `github_pat_` + 22 or more), Stripe live keys (`sk_live_`, `rk_live_`, `pk_live_` + 20
 * or more), Slack (`xoxb-`, `xoxp-`, `xoxa-`, `xoxs-` + 10 or more), Google (`AIza` + 35). The whole
 * token must look random (Shannon entropy ≥ 3 bits per character), so documentation placeholders
 * such as `ghp_xxxxxxxx…` or `AKIAXXXXXXXXXXXXXXXX` are kept.
 */
import { shannonEntropy } from './entropy.js';
import type { Detector, SpanSink } from './types.js';

const KEY = new RegExp(
  '(?<![A-Za-z0-9_-])(?:' +
    [
      '(?:AKIA|ASIA)[A-Z0-9]{16}',
      'gh[pousr]_[A-Za-z0-9]{36,251}',
      'github_pat_[A-Za-z0-9_]{22,244}',
      '[spr]k_live_[A-Za-z0-9]{20,247}',
      'xox[bpas]-[A-Za-z0-9-]{10,250}',
      'AIza[A-Za-z0-9_-]{35}',
    ].join('|') +
    ')(?![A-Za-z0-9_-])',
  'g',
);

export const MIN_KEY_ENTROPY = 3;

export const apiKeyDetector: Detector = {
  entity: 'API_KEY',
  mayContain: (f) => f.keyPrefixes > 0 || f.underscores > 0 || f.dashes > 0,
  find(text: string, sink: SpanSink): void {
    KEY.lastIndex = 0;
    for (let m = KEY.exec(text); m !== null; m = KEY.exec(text)) {
      const end = m.index + m[0].length;
      if (shannonEntropy(text, m.index, end) >= MIN_KEY_ENTROPY) sink.add(m.index, end, 'API_KEY');
    }
  },
};

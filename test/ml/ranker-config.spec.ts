import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRankerConfig } from '../../src/ml/ranker-config.js';

describe('--ranker-config', () => {
  it('takes the JSON itself, as docs/ranker.md writes it, or a file', async () => {
    const inline = loadRankerConfig('{"label":{"target":0.05,"stop":0.08,"horizon":"3d"},"train":{"models":["mlp"]}}');
    expect(inline.label.target).toBe(0.05);
    expect(inline.label.horizon).toBe(3 * 86_400_000);
    expect(inline.train.models).toEqual(['mlp']);
    const dir = await mkdtemp(join(tmpdir(), 'coinrx-ranker-config-'));
    try {
      await writeFile(join(dir, 'ranker.json'), '{"label":{"target":0.03}}');
      expect(loadRankerConfig(join(dir, 'ranker.json')).label.target).toBe(0.03);
      await writeFile(join(dir, 'bad.json'), '{"label":');
      expect(() => loadRankerConfig(join(dir, 'bad.json'))).toThrow(`${join(dir, 'bad.json')}: not valid JSON`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => loadRankerConfig('{"label":')).toThrow('--ranker-config: not valid JSON');
    expect(loadRankerConfig(undefined).label.target).toBe(0.02);
  });
});

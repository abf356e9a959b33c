import { assert } from 'chai';
import { describe, it } from 'mocha';
import { loadConfig } from '../../server/config.js';
import { ConfigError } from '../../server/errors.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig({ env });
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail('expected a ConfigError');
};

describe('configuration', () => {
  it('reads config/default.json and applies VANKHO_* overrides with their types', () => {
    const c = loadConfig({ env: { VANKHO_SERVER_PORT: '9123', VANKHO_IMAGE_MAX_AREA: '1000', VANKHO_DEMO_ENABLED: 'false' } });
    assert.strictEqual(c.server.port, 9123);
    assert.strictEqual(c.image.maxArea, 1000);
    assert.strictEqual(c.demo.enabled, false);
    assert.strictEqual(c.image.tileSize, 256);
    assert.ok(Object.isFrozen(c.image));
  });

  it('names the key and the variable of a bad value', () => {
    const msg = problems({ VANKHO_IMAGE_MAX_AREA: 'lots', VANKHO_IMAGE_TILE_SIZE: '300' });
    assert.match(msg, /image\.maxArea: .*\(from VANKHO_IMAGE_MAX_AREA\)/);
    assert.match(msg, /image\.tileSize: .*\(from VANKHO_IMAGE_TILE_SIZE\)/);
  });

  it('refuses an unknown VANKHO_ variable, listing the known ones', () => {
    assert.match(problems({ VANKHO_IMAGE_MAXAREA: '5' }), /VANKHO_IMAGE_MAXAREA: unknown setting .*VANKHO_IMAGE_MAX_AREA/);
  });

  it('refuses a config file that is not JSON', () => {
    assert.match(problems({ VANKHO_CONFIG: '/etc/hostname' }), /\/etc\/hostname: /);
  });
});

import { project } from '../../vitest.shared';

export default project('cli', { testTimeout: 60_000, hookTimeout: 60_000 });

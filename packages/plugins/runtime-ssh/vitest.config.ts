import { project } from '../../../vitest.shared';

export default project('runtime-ssh', { testTimeout: 60_000, hookTimeout: 120_000 });

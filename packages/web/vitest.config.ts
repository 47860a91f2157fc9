import { project } from '../../vitest.shared';

export default project('web', { testTimeout: 60_000, hookTimeout: 60_000 });

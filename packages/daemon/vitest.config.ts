import { project } from '../../vitest.shared';

export default project('daemon', { testTimeout: 60_000, hookTimeout: 60_000 });

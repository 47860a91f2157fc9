import { project } from '../../../vitest.shared';

export default project('agent-opencode');

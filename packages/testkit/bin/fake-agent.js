#!/usr/bin/env node
// The scripted fake agent CLI, which is @ao/demo-agent's (see its src/scenario.ts for scenarios).
import '@ao/demo-agent/cli';

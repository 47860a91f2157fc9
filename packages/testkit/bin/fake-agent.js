#!/usr/bin/env node
// The scripted fake agent CLI; see src/fake-agent.ts for the scenario format.
import '../dist/fake-agent-cli.js';

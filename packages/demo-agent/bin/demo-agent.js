#!/usr/bin/env node
// The scripted agent CLI; see src/scenario.ts for the scenario format.
import '../dist/cli.js';

#!/usr/bin/env node
/** The `stepwise` command line; each command lives in its own module. */
import { Command } from 'commander';
import { registerGraph } from './graph.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerValidate } from './validate.js';

const program = new Command('stepwise')
  .description('A self-hosted workflow engine that speaks the AWS Step Functions API')
  .addHelpText(
    'after',
    `
Examples:
  $ stepwise serve                                   # the API on http://127.0.0.1:8083
  $ stepwise run machine.json --input '{"age": 30}' --activity ageCheck=./age-check.js
  $ stepwise validate definitions/*.json
  $ stepwise graph machine.json --format svg > machine.svg

Run "stepwise help <command>" for a command's options and examples.`,
  );

registerServe(program);
registerRun(program);
registerValidate(program);
registerGraph(program);

await program.parseAsync(process.argv);

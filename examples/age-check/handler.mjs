// The seed's age check as a handler: adults are allowed, children refused with the error name
// the state machines' Catch matches. Used by worker.mjs, and by `stepwise run` directly:
//   npx stepwise run examples/age-check/content-browse.json --input '{"age": 12}' \
//     --activity ageCheck=examples/age-check/handler.mjs
import { TaskFailure } from '@stepwise/worker';

export default async function checkAge(input) {
  if (typeof input?.age !== 'number') throw TaskFailure.create('age check failed', 'no age in the input');
  if (input.age < 18) throw TaskFailure.create('age check failed', 'child under 18 is not allowed!');
  return { type: 'adult', message: 'allowed' };
}

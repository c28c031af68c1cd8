export {
  createOktaHarness,
  OKTA_REFUSED_WRITE,
  OKTA_THROTTLE,
  type OktaHarness,
  type OktaHarnessOptions,
} from './harness.js';
export { OktaFake, type OktaFakeOptions } from './okta-fake.js';

export { createOktaHarness, type OktaHarness, type OktaHarnessOptions } from './harness.js';
export { OktaFake, type OktaFakeOptions } from './okta-fake.js';

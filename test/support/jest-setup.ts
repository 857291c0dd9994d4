// Handlers log through Powertools; keep test output readable unless a run asks for the logs.
if (process.env.TEST_LOGS !== '1') process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// No test may reach a real AWS account, whatever the machine's environment holds.
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_REGION = 'eu-west-1';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

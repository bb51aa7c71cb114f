// testharnessreport.js for run.mjs: the file's results as one line, "@@WPT " + JSON, then
// the process ends (live contexts and timers of a finished test file are not waited for).
/* global add_completion_callback, setup */
setup({ explicit_timeout: false, timeout_multiplier: 4 });

add_completion_callback((tests, status) => {
	const r = {
		file: process.env.WPT_FILE || '',
		status: status.status,
		message: status.message,
		tests: tests.map((t) => ({ name: t.name, status: t.status, message: t.message })),
	};
	process.stdout.write(`\n@@WPT ${JSON.stringify(r)}\n`, () => process.exit(0));
});

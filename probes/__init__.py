"""Active probes: each obligation's connection exercised on its interval, one transaction per run.

`schedule` spreads start times, `breaker` slows down on a failing national
system, `check` judges an answer, `auth` and `secrets` supply credentials,
`http` runs one probe, `recorder` buffers the results into the store's one
write path, and `engine` ties them together under the concurrency limits.
"""

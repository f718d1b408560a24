begin;
select plan(6);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '1 hour')::text, true);
select tests.reset_role();
select public.requeue_stale_runs();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select set_config('t.reply', public.register_artifact(
    current_setting('t.lease')::uuid, 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.run')),
    repeat('a', 64), 1
)::text, true);
select is(current_setting('t.reply')::jsonb ->> 'code', 'PT409', 'the reply carries code PT409');
select is(current_setting('t.reply')::jsonb ->> 'outcome', 'rejected', 'the outcome is rejected');
select is(current_setting('response.status'), '409', 'PostgREST answers HTTP 409');

select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = current_setting('t.run')::uuid),
    0, 'the zombie''s object is not registered'
);
select results_eq(
    $$ select e.type, e.payload ->> 'rpc' from public.run_events as e where e.run_id = current_setting('t.run')::uuid order by e.id $$,
    $$ values ('attempt.lost'::text, null::text), ('lease.rejected'::text, 'register_artifact'::text) $$,
    'the rejection is recorded as a lease.rejected event, no artifact event'
);
select is((tests.run(current_setting('t.run')::uuid)).status, 'queued', 'the run stays queued');

select * from finish();
rollback;

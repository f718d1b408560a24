begin;
select plan(6);

-- SETUP
select tests.seed();
select * from tests.dead_lease() \gset

-- TEST: registering with the dead lease is rejected with 409
select public.register_artifact(
    :'lease', 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), :'run_id'),
    repeat('a', 64), 1
) as reply \gset
select is(:'reply'::jsonb ->> 'code', 'PT409', 'the reply carries code PT409');
select is(:'reply'::jsonb ->> 'outcome', 'rejected', 'the outcome is rejected');
select is(current_setting('response.status'), '409', 'PostgREST answers HTTP 409');

-- TEST: nothing is registered and the rejection is recorded
select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = :'run_id'),
    0, 'the zombie''s object is not registered'
);
select results_eq(
    format($$ select e.type, e.payload ->> 'rpc' from public.run_events as e where e.run_id = %L order by e.id $$, :'run_id'),
    $$ values ('attempt.lost'::text, null::text), ('lease.rejected'::text, 'register_artifact'::text) $$,
    'the rejection is recorded as a lease.rejected event, no artifact event'
);
select is((tests.run(:'run_id')).status, 'queued', 'the run stays queued');

select * from finish();
rollback;

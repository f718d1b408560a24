begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.executor(tests.workspace_id()) as executor_id \gset
select c.lease_token as lease from public.claim_runs(:'executor_id', 1, start => true) as c \gset

-- TEST: upper and lower case of one lease are one item, so its events cannot be stored twice
select throws_ok(
    format(
        $$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": [{"type": "log"}]}, {"lease": %s, "events": [{"type": "log"}]}]') $$,
        :'executor_id', to_jsonb(lower(:'lease')), to_jsonb(upper(:'lease'))
    ),
    '22023', 'items[1] repeats the lease of an earlier item', 'the lease in upper case repeats the lower-case one'
);
select tests.reset_role();
select is(
    (select count(*)::integer from public.run_events as e where e.attempt_id = (tests.attempt(:'lease')).id),
    0, 'nothing of the batch was stored'
);

select * from finish();
rollback;

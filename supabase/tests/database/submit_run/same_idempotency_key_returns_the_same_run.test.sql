begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.authenticate_as('operator');
select r.id as first_run_id
from public.submit_run(tests.workspace_id(), 'etl', idempotency_key => 'nightly-2026-11-26') as r \gset

-- TEST: a second submit with the same key returns the first run, and creates none
select is(
    (select r.id from public.submit_run(tests.workspace_id(), 'etl', idempotency_key => 'nightly-2026-11-26') as r),
    :'first_run_id'::uuid,
    'a second submit with the same key returns the first run'
);

select tests.reset_role();
select is(
    (select count(*)::integer from public.runs where runs.workspace_id = tests.workspace_id()),
    1,
    'only one run exists'
);

select * from finish();
rollback;

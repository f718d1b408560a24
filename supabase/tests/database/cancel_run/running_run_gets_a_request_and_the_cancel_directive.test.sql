begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select tests.authenticate_as('operator');

-- TEST: a running run stays running with a cancellation request
select results_eq(
    format($$ select r.status, r.cancel_requested_at is not null from public.cancel_run(%L, 'stop it') as r $$, :'run_id'),
    $$ values ('running'::text, true) $$,
    'a running run stays running with a cancellation request'
);

-- TEST: the executor is told to cancel, and its failure report cancels the run
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select results_eq(
    format(
        $$
        select h.directive, h.reason
        from public.heartbeat(%L, jsonb_build_array(%L)) as h
        $$,
        :'executor_id', :'lease'
    ),
    $$ values ('cancel'::text, 'stop it'::text) $$,
    'the next heartbeat says cancel'
);
select is(
    (select public.fail_run(:'lease', true, 'cancelled') ->> 'run_status'),
    'cancelled', 'a failure report after the request cancels instead of retrying'
);

select * from finish();
rollback;

begin;
select plan(7);

-- SETUP
select tests.seed();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select x.id as executor_id from public.register_executor() as x \gset

-- TEST: active → draining → stopped, each report recorded with its time
select is(
    (select x.status from public.report_executor_status(:'executor_id', 'draining') as x), 'draining',
    'an executor told to stop reports draining'
);
select is(
    (select x.status from public.report_executor_status(:'executor_id', 'draining') as x), 'draining',
    'the same report again is a no-op'
);
select isnt(
    (select x.status_changed_at from public.report_executor_status(:'executor_id', 'stopped') as x), null,
    'it reports stopped when it exits; the time is recorded'
);

-- TEST: stopped is final; statuses are the documented ones
select throws_ok(
    format($$ select public.report_executor_status(%L, 'draining') $$, :'executor_id'),
    'PT422', null, 'a stopped executor cannot come back'
);
select throws_ok(
    format($$ select public.report_executor_status(%L, 'active') $$, :'executor_id'),
    '22023', 'status must be draining or stopped', 'an executor cannot report itself active'
);

-- TEST: only the credential that registered it reports for it
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select throws_ok(
    format($$ select public.report_executor_status(%L, 'stopped') $$, :'executor_id'),
    '42501', null, 'another credential cannot report for the executor'
);

-- TEST: users cannot call it
select tests.authenticate_as('owner');
select throws_ok(
    format($$ select public.report_executor_status(%L, 'stopped') $$, :'executor_id'),
    '42501', null, 'a user cannot report an executor''s status'
);

select * from finish();
rollback;

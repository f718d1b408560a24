begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select tests.authenticate_as('operator');

select is(
    (select r.status from public.cancel_run(current_setting('t.run')::uuid, 'not needed') as r),
    'cancelled', 'a queued run is cancelled at once'
);
select is(
    (select r.status from public.cancel_run(current_setting('t.run')::uuid) as r),
    'cancelled', 'cancelling again changes nothing'
);
select tests.reset_role();
select results_eq(
    $$
    select t.to_status, t.actor, t.reason from public.run_transitions as t
    where t.run_id = current_setting('t.run')::uuid and t.to_status = 'cancelled'
    $$,
    $$ values ('cancelled'::text, 'user:' || tests.get_user_id('operator')::text, 'not needed'::text) $$,
    'the cancellation is audited once with its actor and reason'
);

select * from finish();
rollback;

begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.queued_run() \gset
select tests.authenticate_as('operator');

-- TEST: a queued run is cancelled at once, and cancelling again changes nothing
select is(
    (select r.status from public.cancel_run(:'run_id', 'not needed') as r),
    'cancelled', 'a queued run is cancelled at once'
);
select is(
    (select r.status from public.cancel_run(:'run_id') as r),
    'cancelled', 'cancelling again changes nothing'
);

-- TEST: the cancellation is audited once
select tests.reset_role();
select results_eq(
    format(
        $$
        select t.to_status, t.actor, t.reason from public.run_transitions as t
        where t.run_id = %L and t.to_status = 'cancelled'
        $$,
        :'run_id'
    ),
    $$ values ('cancelled'::text, 'user:' || tests.get_user_id('operator')::text, 'not needed'::text) $$,
    'the cancellation is audited once with its actor and reason'
);

select * from finish();
rollback;

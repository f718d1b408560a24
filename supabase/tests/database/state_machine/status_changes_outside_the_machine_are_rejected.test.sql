begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.queued_run() \gset

-- TEST: status changes follow the state machine, even for the owner
select throws_ok(
    format($$ update public.runs set status = 'succeeded', finished_at = now() where id = %L $$, :'run_id'),
    'PT422', null, 'queued -> succeeded is refused, even for the owner'
);
select lives_ok(
    format($$ select private.transition_run(%L, 'cancelled', 'service_role', 'test', now()) $$, :'run_id'),
    'queued -> cancelled is allowed'
);
select throws_ok(
    format($$ select private.transition_run(%L, 'queued', 'service_role', 'test', now()) $$, :'run_id'),
    'PT422', null, 'a terminal run never changes'
);

select * from finish();
rollback;

begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.dead_lease() \gset

-- TEST: events of a dead lease are rejected, and only the rejection is stored
select is(
    (select public.emit_events(:'lease', '[{"type": "log", "seq": 1}]') ->> 'code'),
    'PT409', 'events of a dead lease are rejected'
);
select tests.reset_role();
select results_eq(
    format($$ select e.type from public.run_events as e where e.run_id = %L order by e.id $$, :'run_id'),
    $$ values ('attempt.lost'::text), ('lease.rejected'::text) $$,
    'none of them is stored; the rejection is'
);

select * from finish();
rollback;

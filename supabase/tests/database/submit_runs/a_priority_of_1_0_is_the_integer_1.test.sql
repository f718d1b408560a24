begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.authenticate_as('operator');

-- TEST: JSON's 1.0 is an integer for the item check, so it is one for the run too
select results_eq(
    $$ select a.outcome, a.code from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl", "priority": 1.0}]') as a $$,
    $$ values ('accepted'::text, null::text) $$,
    'a priority of 1.0 is accepted'
);
select is(
    (select r.priority from public.runs as r where r.workspace_id = tests.workspace_id()),
    1,
    'and stored as 1'
);

-- TEST: a fraction is still refused by the item check, with its message
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl", "priority": 1.5}]') $$,
    '22023',
    'items[0].priority must be between -1000 and 1000',
    'a priority of 1.5 is refused'
);

select * from finish();
rollback;

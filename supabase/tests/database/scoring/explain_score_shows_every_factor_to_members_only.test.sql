begin;
select plan(6);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 200) as run_id \gset

-- TEST: every factor, then the total and the stored score
select tests.authenticate_as('viewer');
select results_eq(
    format($$ select e.factor from public.explain_score(%L) as e $$, :'run_id'),
    $$ values ('priority'::text), ('age'::text), ('deadline'::text), ('fair_share'::text), ('retry'::text),
        ('duration'::text), ('total'::text), ('stored'::text) $$,
    'a viewer sees every factor, the total and the stored score'
);
select ok(
    (select pg_catalog.bool_and(e.contribution = e.normalised * e.weight and e.normalised between 0 and 1)
        from public.explain_score(:'run_id') as e where e.weight is not null),
    'each contribution is weight x a normalised value in [0, 1]'
);
select is(
    (select pg_catalog.sum(e.contribution) filter (where e.weight is not null)
        - pg_catalog.max(e.contribution) filter (where e.factor = 'total')
        from public.explain_score(:'run_id') as e),
    0::double precision,
    'the total is the sum of the contributions'
);

-- TEST: weights are the platform's; outsiders see nothing
select throws_ok(
    format($$ select public.set_score_weights(%L, '{"age_weight": 1}') $$, tests.pool()),
    '42501', null, 'a member cannot change a pool''s weights'
);
select tests.authenticate_as('outsider');
select throws_ok(
    format($$ select * from public.explain_score(%L) $$, :'run_id'), 'PT404', null, 'an outsider gets not found'
);
select tests.reset_role();
select throws_ok(
    format($$ select public.set_score_weights(%L, '{"age": 1}') $$, tests.pool()),
    '22023', 'unknown or non-numeric weight age', 'an unknown weight is refused'
);

select * from finish();
rollback;

begin;
select plan(9);

-- SETUP
select tests.seed();

-- TEST: priority is normalised from -1000..1000 to 0..1
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), -1000, now(), null, 0, now()) as f where f.factor = 'priority'),
    0::double precision, 'priority -1000 is 0'
);
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 1000, now(), null, 0, now()) as f where f.factor = 'priority'),
    1::double precision, 'priority 1000 is 1'
);

-- TEST: age grows with the wait and saturates at age_max_seconds (nothing starves, nothing runs away)
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now() - interval '30 minutes', null, 0, now()) as f
        where f.factor = 'age'),
    0.5::double precision, 'half of age_max_seconds waited is 0.5'
);
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now() - interval '3 days', null, 0, now()) as f
        where f.factor = 'age'),
    1::double precision, 'age saturates at 1'
);

-- TEST: deadline urgency is 0 without due_by, rises over the horizon, is 1 at or past due_by
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now(), null, 0, now()) as f where f.factor = 'deadline'),
    0::double precision, 'no due_by: no urgency'
);
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now(), now() + interval '15 minutes', 0, now()) as f
        where f.factor = 'deadline'),
    0.75::double precision, 'due in a quarter of the horizon: 0.75'
);
select is(
    (select f.normalised from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now(), now() - interval '1 minute', 0, now()) as f
        where f.factor = 'deadline'),
    1::double precision, 'overdue: 1'
);

-- TEST: retry counts for a retried run with the pool's weight (a penalty when negative)
select public.set_score_weights(tests.pool(), '{"retry_weight": -300}');
select is(
    (select f.contribution from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now(), null, 2, now()) as f where f.factor = 'retry'),
    -300::double precision, 'a retried run gets the retry weight'
);
select is(
    (select f.contribution from private.score_factors_in(
        private.score_context(tests.workspace_id(), tests.pool(), null), 0, now(), null, 0, now()) as f where f.factor = 'retry'),
    0::double precision, 'a first attempt does not'
);

select * from finish();
rollback;

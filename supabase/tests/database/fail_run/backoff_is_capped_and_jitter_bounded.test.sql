begin;
select plan(3);

-- TEST: the delay starts at the base and is capped
select is(private.retry_delay(1, interval '10 seconds', interval '1 hour'), interval '10 seconds', 'attempt 1: base');
select is(private.retry_delay(20, interval '10 seconds', interval '1 hour'), interval '1 hour', 'late attempts are capped at the maximum');

-- TEST: jitter stays within its bound
select ok(
    (select bool_and(j >= interval '0' and j < interval '5 seconds')
        from (select private.retry_jitter(interval '5 seconds') as j from generate_series(1, 200)) as s),
    'jitter stays within [0, jitter_seconds)'
);

select * from finish();
rollback;

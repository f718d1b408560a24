begin;
select plan(4);

-- SETUP: what hosted Supabase has and the local stack lacks: a realtime schema whose messages
-- table Realtime reads as the token's role (then rolls back) when a private channel is joined, and
-- realtime.topic() naming the topic being joined (its probe row carries that topic). Then the
-- migration itself, as it runs there.
create schema realtime;
create table realtime.messages (topic text not null, extension text not null, payload jsonb);
alter table realtime.messages enable row level security;
create function realtime.topic() returns text
language sql stable as $$ select pg_catalog.current_setting('realtime.topic', true) $$;
grant execute on function realtime.topic() to public;
insert into realtime.messages (topic, extension) values
('controlroom:wake:alpha', 'broadcast'),
('controlroom:wake:beta', 'broadcast'),
('controlroom:wake:alpha', 'presence');
\ir ../../../migrations/20261130900100_authorise_executors_to_their_pools_wakeups.sql
reset lock_timeout;
reset statement_timeout;

-- TEST: the policy exists on hosted Supabase's table
select policies_are(
    'realtime', 'messages', array['controlroom_executor_reads_its_pools_wakeups'],
    'executors get exactly one policy on realtime.messages'
);

-- TEST: an executor of pool alpha joining its own topic sees its broadcasts (the join is allowed)
select tests.authenticate_as_executor('alpha');
select set_config('realtime.topic', 'controlroom:wake:alpha', true);
select is(
    (select count(*) from realtime.messages as m where m.topic = realtime.topic()), 1::bigint,
    'an executor token reads the broadcasts of its own pool''s topic, not presence'
);

-- TEST: joining another pool's topic sees nothing (Realtime refuses the join)
select set_config('realtime.topic', 'controlroom:wake:beta', true);
select is(
    (select count(*) from realtime.messages as m where m.topic = realtime.topic()), 0::bigint,
    'an executor token reads nothing on another pool''s topic'
);

-- TEST: a token of pool beta reads beta's topic
select tests.authenticate_as_executor('beta');
select is(
    (select count(*) from realtime.messages as m where m.topic = realtime.topic()), 1::bigint,
    'the rule follows the pool claim of the token'
);

select * from finish();
rollback;

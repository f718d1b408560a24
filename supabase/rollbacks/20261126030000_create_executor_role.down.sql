-- Rollback of 20261126030000_create_executor_role.
-- `drop owned` also removes grants made outside the migrations (e.g. by the pgTAP helpers in a
-- test database), which would otherwise keep the role from being dropped.

alter role controlroom_executor reset statement_timeout;
revoke usage on schema public from controlroom_executor;
revoke controlroom_executor from authenticator;
drop owned by controlroom_executor;
drop role controlroom_executor;

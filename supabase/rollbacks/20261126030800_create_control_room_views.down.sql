-- Rollback of 20261126030800_create_control_room_views.

drop view public.queue_depth_by_pool;
drop view public.executor_health;
drop view public.run_board;

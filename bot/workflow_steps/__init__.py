"""Line orders as Workflow Builder steps (Slack custom functions, ``function_executed``).

A step run is recorded once (``store``), its requester gets a message with a button that
opens the same form as the slash command, and the request filled in there goes through the
same confirmation, approval and placement. The step's completion is queued in the outbox
with the move that ends the request (the Slack side renders it,
``handlers.workflow_steps.completion``);
a leaver's request, whose lines end one by one, completes once (``WORKFLOW_STEP`` purpose)
when every line is placed or has ended."""

"""Identifiers shared by the Block Kit builders and the handlers that read payloads."""

ORDER_FORM_CALLBACK = "order_form"  # modal callback_id; private_metadata = the request id
VALUE_ACTION = "value"  # action_id of every input element in the order form
OTHER_SUFFIX = "__other"  # block_id of the "other" text of CHOICE property P: P + OTHER_SUFFIX
ACKNOWLEDGEMENTS_BLOCK = "acknowledgements"  # checkboxes; option values are acknowledgement ids
FORM_ERROR_BLOCK = "form_error"  # section at the top of the form showing a MobProc refusal
APPROVE_ACTION = "approve_request"  # button value = request id
CANCEL_ACTION = "cancel_request"  # button value = request id
EXTERNAL_SELECT_THRESHOLD = 100  # Slack's static_select takes at most 100 options
START_ORDER_ACTION = "start_order"  # + "_" + transaction type; value "<ticket id>:<type>"
HOME_START_ACTION = "home_start"  # + "_" + transaction type
HOME_APPROVE_ACTION = "home_approve"  # value = request id
HOME_CANCEL_ACTION = "home_cancel"  # value = request id
HOME_OFFBOARD_APPROVE_ACTION = "home_approve_offboarding"  # value = offboarding id
HOME_OFFBOARD_CANCEL_ACTION = "home_cancel_offboarding"  # value = offboarding id
OFFBOARD_CHOOSE_CALLBACK = "offboard_choose"  # private_metadata "<offboarding id>:<page>"
OFFBOARD_DETAILS_CALLBACK = "offboard_details"  # private_metadata = the offboarding id
OFFBOARD_APPROVE_ACTION = "approve_offboarding"  # button value = offboarding id
OFFBOARD_CANCEL_ACTION = "cancel_offboarding"  # button value = offboarding id
OFFBOARD_REFUSALS_BLOCK = "offboard_refusals"  # section naming lines MobProc refused
MOBPROC_APPROVE_ACTION = "mobproc_approve"  # value = MobProc approval row id
MOBPROC_REJECT_ACTION = "mobproc_reject"  # value = MobProc approval row id; opens the modal
MOBPROC_REJECT_CALLBACK = "mobproc_reject"  # reason modal; private_metadata = approval row id
MOBPROC_REASON_BLOCK = "reason"  # the reason's input block in that modal
WORKFLOW_FILL_IN_ACTION = "workflow_step_fill_in"  # value = function_execution_id

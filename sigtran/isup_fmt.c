/* ISUP message formats and names: which parameters each message carries
 * in its mandatory fixed part (with lengths), its mandatory variable part,
 * and whether it has an optional part. ITU from Q.763 clause 4 (Tables
 * 32-55), ANSI from T1.113.3. */
#include <stddef.h>
#include <string.h>

#include "sigtran/isup_fmt.h"
#include "sigtran/isup_proto.h"

#define F(c, l)                 \
	{                       \
		ISUP_PAR_##c, l \
	}
#define NOPAR(t)                                          \
	{                                                 \
		.type = ISUP_MT_##t, .opt = ISUP_OPT_NONE \
	}
#define OPTONLY(t)                                       \
	{                                                \
		.type = ISUP_MT_##t, .opt = ISUP_OPT_YES \
	}
#define FIX1(t, c, l, o)                                                         \
	{                                                                        \
		.type = ISUP_MT_##t, .nfixed = 1, .opt = o, .fixed = { F(c, l) } \
	}

/* Formats both variants share. */
static const struct isup_fmt fmt_common[] = {
	FIX1(INR, INFORMATION_REQUEST_INDICATORS, 2, ISUP_OPT_LAX),
	FIX1(INF, INFORMATION_INDICATORS, 2, ISUP_OPT_YES),
	FIX1(COT, CONTINUITY_INDICATORS, 1, ISUP_OPT_NONE),
	FIX1(ACM, BACKWARD_CALL_INDICATORS, 2, ISUP_OPT_YES),
	OPTONLY(FOT),
	OPTONLY(ANM),
	{.type = ISUP_MT_REL, .nvar = 1, .opt = ISUP_OPT_YES, .var = {ISUP_PAR_CAUSE_INDICATORS}},
	FIX1(SUS, SUSPEND_RESUME_INDICATORS, 1, ISUP_OPT_YES),
	FIX1(RES, SUSPEND_RESUME_INDICATORS, 1, ISUP_OPT_YES),
	/* libss7 (ANSI) sends RLC without the optional-part pointer */
	{.type = ISUP_MT_RLC, .opt = ISUP_OPT_LAX},
	NOPAR(CCR),
	NOPAR(RSC),
	NOPAR(BLO),
	NOPAR(UBL),
	NOPAR(BLA),
	NOPAR(UBA),
	NOPAR(LPA),
	NOPAR(UCIC),
	{.type = ISUP_MT_GRS, .nvar = 1, .var = {ISUP_PAR_RANGE_AND_STATUS}},
	{.type = ISUP_MT_GRA, .nvar = 1, .var = {ISUP_PAR_RANGE_AND_STATUS}},
	{.type = ISUP_MT_CQM, .nvar = 1, .var = {ISUP_PAR_RANGE_AND_STATUS}},
	{.type = ISUP_MT_CQR,
	 .nvar = 2,
	 .var = {ISUP_PAR_RANGE_AND_STATUS, ISUP_PAR_CIRCUIT_STATE_INDICATOR}},
#define CGS(t)                                                   \
	{                                                        \
		.type = ISUP_MT_##t, .nfixed = 1, .nvar = 1,     \
		.fixed = {F(CIRCUIT_GROUP_SUPERVISION_TYPE, 1)}, \
		.var = { ISUP_PAR_RANGE_AND_STATUS }             \
	}
	CGS(CGB),
	CGS(CGU),
	CGS(CGBA),
	CGS(CGUA),
	FIX1(CPG, EVENT_INFORMATION, 1, ISUP_OPT_YES),
	{.type = ISUP_MT_CFN, .nvar = 1, .opt = ISUP_OPT_LAX, .var = {ISUP_PAR_CAUSE_INDICATORS}},
	OPTONLY(FAC),
};

static const struct isup_fmt fmt_itu[] = {
	{.type = ISUP_MT_IAM,
	 .nfixed = 4,
	 .nvar = 1,
	 .opt = ISUP_OPT_YES,
	 .fixed = {F(NATURE_OF_CONNECTION_INDICATORS, 1), F(FORWARD_CALL_INDICATORS, 2),
		   F(CALLING_PARTYS_CATEGORY, 1), F(TRANSMISSION_MEDIUM_REQUIREMENT, 1)},
	 .var = {ISUP_PAR_CALLED_PARTY_NUMBER}},
	{.type = ISUP_MT_SAM, .nvar = 1, .opt = ISUP_OPT_YES, .var = {ISUP_PAR_SUBSEQUENT_NUMBER}},
	FIX1(CON, BACKWARD_CALL_INDICATORS, 2, ISUP_OPT_YES),
	FIX1(CMR, CALL_MODIFICATION_INDICATORS, 1, ISUP_OPT_YES),
	FIX1(CMC, CALL_MODIFICATION_INDICATORS, 1, ISUP_OPT_YES),
	FIX1(CMRJ, CALL_MODIFICATION_INDICATORS, 1, ISUP_OPT_YES),
	FIX1(FAR, FACILITY_INDICATOR, 1, ISUP_OPT_YES),
	FIX1(FAA, FACILITY_INDICATOR, 1, ISUP_OPT_YES),
	{.type = ISUP_MT_FRJ,
	 .nfixed = 1,
	 .nvar = 1,
	 .opt = ISUP_OPT_YES,
	 .fixed = {F(FACILITY_INDICATOR, 1)},
	 .var = {ISUP_PAR_CAUSE_INDICATORS}},
	{.type = ISUP_MT_USR,
	 .nvar = 1,
	 .opt = ISUP_OPT_YES,
	 .var = {ISUP_PAR_USER_TO_USER_INFORMATION}},
	NOPAR(OLM),
	OPTONLY(CRG),
	OPTONLY(NRM),
	OPTONLY(UPT),
	OPTONLY(UPA),
	OPTONLY(IDR),
	OPTONLY(IRS),
	OPTONLY(SGM),
	OPTONLY(LOP),
	OPTONLY(APM),
	OPTONLY(PRI),
	OPTONLY(SDN),
};

static const struct isup_fmt fmt_ansi[] = {
	/* T1.113.3: user service information is mandatory variable and comes
	 * before the called party number; no transmission medium requirement. */
	{.type = ISUP_MT_IAM,
	 .nfixed = 3,
	 .nvar = 2,
	 .opt = ISUP_OPT_YES,
	 .fixed = {F(NATURE_OF_CONNECTION_INDICATORS, 1), F(FORWARD_CALL_INDICATORS, 2),
		   F(CALLING_PARTYS_CATEGORY, 1)},
	 .var = {ISUP_PAR_USER_SERVICE_INFORMATION, ISUP_PAR_CALLED_PARTY_NUMBER}},
	NOPAR(CRA),
	FIX1(CRM, NATURE_OF_CONNECTION_INDICATORS, 1, ISUP_OPT_NONE),
	{.type = ISUP_MT_CVR,
	 .nfixed = 2,
	 .opt = ISUP_OPT_YES,
	 .fixed = {F(CIRCUIT_VALIDATION_RESPONSE_INDICATOR, 1),
		   F(CIRCUIT_GROUP_CHARACTERISTIC_INDICATOR, 1)}},
	NOPAR(CVT),
	OPTONLY(EXM),
};

static const struct isup_fmt *find(const struct isup_fmt *t, size_t n, uint8_t type)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct isup_fmt *isup_fmt_get(enum isup_variant v, uint8_t type)
{
	const struct isup_fmt *f = find(fmt_common, ARRAY_SIZE(fmt_common), type);

	if (f)
		return f;
	if (v == ISUP_VAR_ANSI)
		return find(fmt_ansi, ARRAY_SIZE(fmt_ansi), type);
	return find(fmt_itu, ARRAY_SIZE(fmt_itu), type);
}

bool isup_msg_type_known(enum isup_variant v, uint8_t type)
{
	return isup_fmt_get(v, type) != NULL;
}

struct code_name {
	uint8_t code;
	const char *name;
};

#define MT(t)                   \
	{                       \
		ISUP_MT_##t, #t \
	}
static const struct code_name mt_names[] = {
	MT(IAM), MT(SAM), MT(INR), MT(INF), MT(COT),  MT(ACM),	MT(CON),  MT(FOT),  MT(ANM),
	MT(REL), MT(SUS), MT(RES), MT(RLC), MT(CCR),  MT(RSC),	MT(BLO),  MT(UBL),  MT(BLA),
	MT(UBA), MT(GRS), MT(CGB), MT(CGU), MT(CGBA), MT(CGUA), MT(CMR),  MT(CMC),  MT(CMRJ),
	MT(FAR), MT(FAA), MT(FRJ), MT(FAD), MT(FAI),  MT(LPA),	MT(CSVQ), MT(CSVR), MT(DRS),
	MT(PAM), MT(GRA), MT(CQM), MT(CQR), MT(CPG),  MT(USR),	MT(UCIC), MT(CFN),  MT(OLM),
	MT(CRG), MT(NRM), MT(FAC), MT(UPT), MT(UPA),  MT(IDR),	MT(IRS),  MT(SGM),  MT(LOP),
	MT(APM), MT(PRI), MT(SDN), MT(CRA), MT(CRM),  MT(CVR),	MT(CVT),  MT(EXM),
};

/* snake_case of the Q.763 / T1.113 names; the JSON of tandem-tool uses them. */
#define PN(c, n)                \
	{                       \
		ISUP_PAR_##c, n \
	}
static const struct code_name par_names[] = {
	PN(END_OF_OPTIONAL_PARAMETERS, "end_of_optional_parameters"),
	PN(CALL_REFERENCE, "call_reference"),
	PN(TRANSMISSION_MEDIUM_REQUIREMENT, "transmission_medium_requirement"),
	PN(ACCESS_TRANSPORT, "access_transport"),
	PN(CALLED_PARTY_NUMBER, "called_party_number"),
	PN(SUBSEQUENT_NUMBER, "subsequent_number"),
	PN(NATURE_OF_CONNECTION_INDICATORS, "nature_of_connection_indicators"),
	PN(FORWARD_CALL_INDICATORS, "forward_call_indicators"),
	PN(OPTIONAL_FORWARD_CALL_INDICATORS, "optional_forward_call_indicators"),
	PN(CALLING_PARTYS_CATEGORY, "calling_partys_category"),
	PN(CALLING_PARTY_NUMBER, "calling_party_number"),
	PN(REDIRECTING_NUMBER, "redirecting_number"),
	PN(REDIRECTION_NUMBER, "redirection_number"),
	PN(CONNECTION_REQUEST, "connection_request"),
	PN(INFORMATION_REQUEST_INDICATORS, "information_request_indicators"),
	PN(INFORMATION_INDICATORS, "information_indicators"),
	PN(CONTINUITY_INDICATORS, "continuity_indicators"),
	PN(BACKWARD_CALL_INDICATORS, "backward_call_indicators"),
	PN(CAUSE_INDICATORS, "cause_indicators"),
	PN(REDIRECTION_INFORMATION, "redirection_information"),
	PN(CIRCUIT_GROUP_SUPERVISION_TYPE, "circuit_group_supervision_type"),
	PN(RANGE_AND_STATUS, "range_and_status"),
	PN(CALL_MODIFICATION_INDICATORS, "call_modification_indicators"),
	PN(FACILITY_INDICATOR, "facility_indicator"),
	PN(CLOSED_USER_GROUP_INTERLOCK_CODE, "closed_user_group_interlock_code"),
	PN(USER_SERVICE_INFORMATION, "user_service_information"),
	PN(SIGNALLING_POINT_CODE, "signalling_point_code"),
	PN(USER_TO_USER_INFORMATION, "user_to_user_information"),
	PN(CONNECTED_NUMBER, "connected_number"),
	PN(SUSPEND_RESUME_INDICATORS, "suspend_resume_indicators"),
	PN(TRANSIT_NETWORK_SELECTION, "transit_network_selection"),
	PN(EVENT_INFORMATION, "event_information"),
	PN(CIRCUIT_ASSIGNMENT_MAP, "circuit_assignment_map"),
	PN(CIRCUIT_STATE_INDICATOR, "circuit_state_indicator"),
	PN(AUTOMATIC_CONGESTION_LEVEL, "automatic_congestion_level"),
	PN(ORIGINAL_CALLED_NUMBER, "original_called_number"),
	PN(OPTIONAL_BACKWARD_CALL_INDICATORS, "optional_backward_call_indicators"),
	PN(USER_TO_USER_INDICATORS, "user_to_user_indicators"),
	PN(ORIGINATION_ISC_POINT_CODE, "origination_isc_point_code"),
	PN(GENERIC_NOTIFICATION_INDICATOR, "generic_notification_indicator"),
	PN(CALL_HISTORY_INFORMATION, "call_history_information"),
	PN(ACCESS_DELIVERY_INFORMATION, "access_delivery_information"),
	PN(NETWORK_SPECIFIC_FACILITY, "network_specific_facility"),
	PN(USER_SERVICE_INFORMATION_PRIME, "user_service_information_prime"),
	PN(PROPAGATION_DELAY_COUNTER, "propagation_delay_counter"),
	PN(REMOTE_OPERATIONS, "remote_operations"),
	PN(SERVICE_ACTIVATION, "service_activation"),
	PN(USER_TELESERVICE_INFORMATION, "user_teleservice_information"),
	PN(TRANSMISSION_MEDIUM_USED, "transmission_medium_used"),
	PN(CALL_DIVERSION_INFORMATION, "call_diversion_information"),
	PN(ECHO_CONTROL_INFORMATION, "echo_control_information"),
	PN(MESSAGE_COMPATIBILITY_INFORMATION, "message_compatibility_information"),
	PN(PARAMETER_COMPATIBILITY_INFORMATION, "parameter_compatibility_information"),
	PN(MLPP_PRECEDENCE, "mlpp_precedence"),
	PN(MCID_REQUEST_INDICATORS, "mcid_request_indicators"),
	PN(MCID_RESPONSE_INDICATORS, "mcid_response_indicators"),
	PN(HOP_COUNTER, "hop_counter"),
	PN(TRANSMISSION_MEDIUM_REQUIREMENT_PRIME, "transmission_medium_requirement_prime"),
	PN(LOCATION_NUMBER, "location_number"),
	PN(REDIRECTION_NUMBER_RESTRICTION, "redirection_number_restriction"),
	PN(CALL_TRANSFER_REFERENCE, "call_transfer_reference"),
	PN(LOOP_PREVENTION_INDICATORS, "loop_prevention_indicators"),
	PN(CALL_TRANSFER_NUMBER, "call_transfer_number"),
	PN(CCSS, "ccss"),
	PN(FORWARD_GVNS, "forward_gvns"),
	PN(BACKWARD_GVNS, "backward_gvns"),
	PN(REDIRECT_CAPABILITY, "redirect_capability"),
	PN(NETWORK_MANAGEMENT_CONTROLS, "network_management_controls"),
	PN(CORRELATION_ID, "correlation_id"),
	PN(SCF_ID, "scf_id"),
	PN(CALL_DIVERSION_TREATMENT_INDICATORS, "call_diversion_treatment_indicators"),
	PN(CALLED_IN_NUMBER, "called_in_number"),
	PN(CALL_OFFERING_TREATMENT_INDICATORS, "call_offering_treatment_indicators"),
	PN(CHARGED_PARTY_IDENTIFICATION, "charged_party_identification"),
	PN(CONFERENCE_TREATMENT_INDICATORS, "conference_treatment_indicators"),
	PN(DISPLAY_INFORMATION, "display_information"),
	PN(UID_ACTION_INDICATORS, "uid_action_indicators"),
	PN(UID_CAPABILITY_INDICATORS, "uid_capability_indicators"),
	PN(REDIRECT_COUNTER, "redirect_counter"),
	PN(APPLICATION_TRANSPORT, "application_transport"),
	PN(COLLECT_CALL_REQUEST, "collect_call_request"),
	PN(CCNR_POSSIBLE_INDICATOR, "ccnr_possible_indicator"),
	PN(PIVOT_CAPABILITY, "pivot_capability"),
	PN(PIVOT_ROUTING_INDICATORS, "pivot_routing_indicators"),
	PN(CALLED_DIRECTORY_NUMBER, "called_directory_number"),
	PN(ORIGINAL_CALLED_IN_NUMBER, "original_called_in_number"),
	PN(CALLING_GEODETIC_LOCATION, "calling_geodetic_location"),
	PN(HTR_INFORMATION, "htr_information"),
	PN(NETWORK_ROUTING_NUMBER, "network_routing_number"),
	PN(QUERY_ON_RELEASE_CAPABILITY, "query_on_release_capability"),
	PN(PIVOT_STATUS, "pivot_status"),
	PN(PIVOT_COUNTER, "pivot_counter"),
	PN(PIVOT_ROUTING_FORWARD_INFORMATION, "pivot_routing_forward_information"),
	PN(PIVOT_ROUTING_BACKWARD_INFORMATION, "pivot_routing_backward_information"),
	PN(REDIRECT_STATUS, "redirect_status"),
	PN(REDIRECT_FORWARD_INFORMATION, "redirect_forward_information"),
	PN(REDIRECT_BACKWARD_INFORMATION, "redirect_backward_information"),
	PN(NUMBER_PORTABILITY_FORWARD_INFORMATION, "number_portability_forward_information"),
	PN(GENERIC_NUMBER, "generic_number"),
	PN(GENERIC_DIGITS, "generic_digits"),
	PN(OPERATOR_SERVICES_INFORMATION, "operator_services_information"),
	PN(EGRESS_SERVICE, "egress_service"),
	PN(JURISDICTION_INFORMATION, "jurisdiction_information"),
	PN(CARRIER_IDENTIFICATION, "carrier_identification"),
	PN(BUSINESS_GROUP, "business_group"),
	PN(GENERIC_NAME, "generic_name"),
	PN(NOTIFICATION_INDICATOR, "notification_indicator"),
	PN(CIRCUIT_GROUP_CHARACTERISTIC_INDICATOR, "circuit_group_characteristic_indicator"),
	PN(CIRCUIT_VALIDATION_RESPONSE_INDICATOR, "circuit_validation_response_indicator"),
	PN(OUTGOING_TRUNK_GROUP_NUMBER, "outgoing_trunk_group_number"),
	PN(CIRCUIT_IDENTIFICATION_NAME, "circuit_identification_name"),
	PN(CLLI_CODE, "clli_code"),
	PN(ORIGINATING_LINE_INFORMATION, "originating_line_information"),
	PN(CHARGE_NUMBER, "charge_number"),
	PN(SERVICE_CODE_INDICATOR, "service_code_indicator"),
	PN(SPECIAL_PROCESSING_REQUEST, "special_processing_request"),
	PN(CARRIER_SELECTION_INFORMATION, "carrier_selection_information"),
	PN(NETWORK_TRANSPORT, "network_transport"),
};

static const char *name_of(const struct code_name *t, size_t n, uint8_t code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

const char *isup_msg_type_name(uint8_t type)
{
	return name_of(mt_names, ARRAY_SIZE(mt_names), type);
}

int isup_msg_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mt_names); i++)
		if (!strcmp(mt_names[i].name, name))
			return mt_names[i].code;
	return -1;
}

const char *isup_param_name(uint8_t code)
{
	return name_of(par_names, ARRAY_SIZE(par_names), code);
}

int isup_param_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(par_names); i++)
		if (!strcmp(par_names[i].name, name))
			return par_names[i].code;
	return -1;
}

/* ISUP wire constants: ITU-T Q.763 (12/1999) Tables 4 and 5, ANSI T1.113
 * additions, Q.850 cause values. No logic. */
#pragma once

/* Message types: Q.763 Table 4. "reserved" ones were used by earlier
 * versions of the Recommendation; they are named so a log can say what an
 * old peer sent. */
#define ISUP_MT_IAM  0x01 /* initial address */
#define ISUP_MT_SAM  0x02 /* subsequent address (ITU only) */
#define ISUP_MT_INR  0x03 /* information request (national use) */
#define ISUP_MT_INF  0x04 /* information (national use) */
#define ISUP_MT_COT  0x05 /* continuity */
#define ISUP_MT_ACM  0x06 /* address complete */
#define ISUP_MT_CON  0x07 /* connect (ITU only) */
#define ISUP_MT_FOT  0x08 /* forward transfer */
#define ISUP_MT_ANM  0x09 /* answer */
#define ISUP_MT_REL  0x0c /* release */
#define ISUP_MT_SUS  0x0d /* suspend */
#define ISUP_MT_RES  0x0e /* resume */
#define ISUP_MT_RLC  0x10 /* release complete */
#define ISUP_MT_CCR  0x11 /* continuity check request */
#define ISUP_MT_RSC  0x12 /* reset circuit */
#define ISUP_MT_BLO  0x13 /* blocking */
#define ISUP_MT_UBL  0x14 /* unblocking */
#define ISUP_MT_BLA  0x15 /* blocking acknowledgement */
#define ISUP_MT_UBA  0x16 /* unblocking acknowledgement */
#define ISUP_MT_GRS  0x17 /* circuit group reset */
#define ISUP_MT_CGB  0x18 /* circuit group blocking */
#define ISUP_MT_CGU  0x19 /* circuit group unblocking */
#define ISUP_MT_CGBA 0x1a /* circuit group blocking acknowledgement */
#define ISUP_MT_CGUA 0x1b /* circuit group unblocking acknowledgement */
#define ISUP_MT_CMR  0x1c /* call modification request (reserved, 1988) */
#define ISUP_MT_CMC  0x1d /* call modification completed (reserved, 1988) */
#define ISUP_MT_CMRJ 0x1e /* call modification reject (reserved, 1988) */
#define ISUP_MT_FAR  0x1f /* facility request */
#define ISUP_MT_FAA  0x20 /* facility accepted */
#define ISUP_MT_FRJ  0x21 /* facility reject */
#define ISUP_MT_FAD  0x22 /* facility deactivated (reserved, 1984) */
#define ISUP_MT_FAI  0x23 /* facility information (reserved, 1984) */
#define ISUP_MT_LPA  0x24 /* loop back acknowledgement (national use) */
#define ISUP_MT_CSVQ 0x25 /* CUG selection and validation request (reserved, 1988) */
#define ISUP_MT_CSVR 0x26 /* CUG selection and validation response (reserved, 1988) */
#define ISUP_MT_DRS  0x27 /* delayed release (reserved, 1988) */
#define ISUP_MT_PAM  0x28 /* pass-along (national use) */
#define ISUP_MT_GRA  0x29 /* circuit group reset acknowledgement */
#define ISUP_MT_CQM  0x2a /* circuit group query (national use) */
#define ISUP_MT_CQR  0x2b /* circuit group query response (national use) */
#define ISUP_MT_CPG  0x2c /* call progress */
#define ISUP_MT_USR  0x2d /* user-to-user information */
#define ISUP_MT_UCIC 0x2e /* unequipped CIC (national use) */
#define ISUP_MT_CFN  0x2f /* confusion */
#define ISUP_MT_OLM  0x30 /* overload (national use) */
#define ISUP_MT_CRG  0x31 /* charge information (national use) */
#define ISUP_MT_NRM  0x32 /* network resource management */
#define ISUP_MT_FAC  0x33 /* facility */
#define ISUP_MT_UPT  0x34 /* user part test */
#define ISUP_MT_UPA  0x35 /* user part available */
#define ISUP_MT_IDR  0x36 /* identification request */
#define ISUP_MT_IRS  0x37 /* identification response */
#define ISUP_MT_SGM  0x38 /* segmentation */
#define ISUP_MT_LOP  0x40 /* loop prevention */
#define ISUP_MT_APM  0x41 /* application transport */
#define ISUP_MT_PRI  0x42 /* pre-release information */
#define ISUP_MT_SDN  0x43 /* subsequent directory number (national use) */
/* ANSI T1.113 only */
#define ISUP_MT_CRA 0xe9 /* circuit reservation acknowledgement */
#define ISUP_MT_CRM 0xea /* circuit reservation */
#define ISUP_MT_CVR 0xeb /* circuit validation response */
#define ISUP_MT_CVT 0xec /* circuit validation test */
#define ISUP_MT_EXM 0xed /* exit */

/* Parameter names: Q.763 Table 5 (codes 0x00-0xc1), then T1.113. */
#define ISUP_PAR_END_OF_OPTIONAL_PARAMETERS		0x00
#define ISUP_PAR_CALL_REFERENCE				0x01
#define ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT	0x02
#define ISUP_PAR_ACCESS_TRANSPORT			0x03
#define ISUP_PAR_CALLED_PARTY_NUMBER			0x04
#define ISUP_PAR_SUBSEQUENT_NUMBER			0x05
#define ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS	0x06
#define ISUP_PAR_FORWARD_CALL_INDICATORS		0x07
#define ISUP_PAR_OPTIONAL_FORWARD_CALL_INDICATORS	0x08
#define ISUP_PAR_CALLING_PARTYS_CATEGORY		0x09
#define ISUP_PAR_CALLING_PARTY_NUMBER			0x0a
#define ISUP_PAR_REDIRECTING_NUMBER			0x0b
#define ISUP_PAR_REDIRECTION_NUMBER			0x0c
#define ISUP_PAR_CONNECTION_REQUEST			0x0d
#define ISUP_PAR_INFORMATION_REQUEST_INDICATORS		0x0e
#define ISUP_PAR_INFORMATION_INDICATORS			0x0f
#define ISUP_PAR_CONTINUITY_INDICATORS			0x10
#define ISUP_PAR_BACKWARD_CALL_INDICATORS		0x11
#define ISUP_PAR_CAUSE_INDICATORS			0x12
#define ISUP_PAR_REDIRECTION_INFORMATION		0x13
#define ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE		0x15 /* "...message type" */
#define ISUP_PAR_RANGE_AND_STATUS			0x16
#define ISUP_PAR_CALL_MODIFICATION_INDICATORS		0x17 /* reserved (1988) */
#define ISUP_PAR_FACILITY_INDICATOR			0x18
#define ISUP_PAR_CLOSED_USER_GROUP_INTERLOCK_CODE	0x1a
#define ISUP_PAR_USER_SERVICE_INFORMATION		0x1d
#define ISUP_PAR_SIGNALLING_POINT_CODE			0x1e
#define ISUP_PAR_USER_TO_USER_INFORMATION		0x20
#define ISUP_PAR_CONNECTED_NUMBER			0x21
#define ISUP_PAR_SUSPEND_RESUME_INDICATORS		0x22
#define ISUP_PAR_TRANSIT_NETWORK_SELECTION		0x23
#define ISUP_PAR_EVENT_INFORMATION			0x24
#define ISUP_PAR_CIRCUIT_ASSIGNMENT_MAP			0x25
#define ISUP_PAR_CIRCUIT_STATE_INDICATOR		0x26
#define ISUP_PAR_AUTOMATIC_CONGESTION_LEVEL		0x27
#define ISUP_PAR_ORIGINAL_CALLED_NUMBER			0x28
#define ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS	0x29
#define ISUP_PAR_USER_TO_USER_INDICATORS		0x2a
#define ISUP_PAR_ORIGINATION_ISC_POINT_CODE		0x2b
#define ISUP_PAR_GENERIC_NOTIFICATION_INDICATOR		0x2c
#define ISUP_PAR_CALL_HISTORY_INFORMATION		0x2d
#define ISUP_PAR_ACCESS_DELIVERY_INFORMATION		0x2e
#define ISUP_PAR_NETWORK_SPECIFIC_FACILITY		0x2f
#define ISUP_PAR_USER_SERVICE_INFORMATION_PRIME		0x30
#define ISUP_PAR_PROPAGATION_DELAY_COUNTER		0x31
#define ISUP_PAR_REMOTE_OPERATIONS			0x32
#define ISUP_PAR_SERVICE_ACTIVATION			0x33
#define ISUP_PAR_USER_TELESERVICE_INFORMATION		0x34
#define ISUP_PAR_TRANSMISSION_MEDIUM_USED		0x35
#define ISUP_PAR_CALL_DIVERSION_INFORMATION		0x36
#define ISUP_PAR_ECHO_CONTROL_INFORMATION		0x37
#define ISUP_PAR_MESSAGE_COMPATIBILITY_INFORMATION	0x38
#define ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION	0x39
#define ISUP_PAR_MLPP_PRECEDENCE			0x3a
#define ISUP_PAR_MCID_REQUEST_INDICATORS		0x3b
#define ISUP_PAR_MCID_RESPONSE_INDICATORS		0x3c
#define ISUP_PAR_HOP_COUNTER				0x3d
#define ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT_PRIME	0x3e
#define ISUP_PAR_LOCATION_NUMBER			0x3f
#define ISUP_PAR_REDIRECTION_NUMBER_RESTRICTION		0x40
#define ISUP_PAR_CALL_TRANSFER_REFERENCE		0x43
#define ISUP_PAR_LOOP_PREVENTION_INDICATORS		0x44
#define ISUP_PAR_CALL_TRANSFER_NUMBER			0x45
#define ISUP_PAR_CCSS					0x4b
#define ISUP_PAR_FORWARD_GVNS				0x4c
#define ISUP_PAR_BACKWARD_GVNS				0x4d
#define ISUP_PAR_REDIRECT_CAPABILITY			0x4e
#define ISUP_PAR_NETWORK_MANAGEMENT_CONTROLS		0x5b
#define ISUP_PAR_CORRELATION_ID				0x65
#define ISUP_PAR_SCF_ID					0x66
#define ISUP_PAR_CALL_DIVERSION_TREATMENT_INDICATORS	0x6e
#define ISUP_PAR_CALLED_IN_NUMBER			0x6f
#define ISUP_PAR_CALL_OFFERING_TREATMENT_INDICATORS	0x70
#define ISUP_PAR_CHARGED_PARTY_IDENTIFICATION		0x71
#define ISUP_PAR_CONFERENCE_TREATMENT_INDICATORS	0x72
#define ISUP_PAR_DISPLAY_INFORMATION			0x73
#define ISUP_PAR_UID_ACTION_INDICATORS			0x74
#define ISUP_PAR_UID_CAPABILITY_INDICATORS		0x75
#define ISUP_PAR_REDIRECT_COUNTER			0x77
#define ISUP_PAR_APPLICATION_TRANSPORT			0x78
#define ISUP_PAR_COLLECT_CALL_REQUEST			0x79
#define ISUP_PAR_CCNR_POSSIBLE_INDICATOR		0x7a
#define ISUP_PAR_PIVOT_CAPABILITY			0x7b
#define ISUP_PAR_PIVOT_ROUTING_INDICATORS		0x7c
#define ISUP_PAR_CALLED_DIRECTORY_NUMBER		0x7d
#define ISUP_PAR_ORIGINAL_CALLED_IN_NUMBER		0x7f
#define ISUP_PAR_CALLING_GEODETIC_LOCATION		0x81
#define ISUP_PAR_HTR_INFORMATION			0x82
#define ISUP_PAR_NETWORK_ROUTING_NUMBER			0x84
#define ISUP_PAR_QUERY_ON_RELEASE_CAPABILITY		0x85
#define ISUP_PAR_PIVOT_STATUS				0x86
#define ISUP_PAR_PIVOT_COUNTER				0x87
#define ISUP_PAR_PIVOT_ROUTING_FORWARD_INFORMATION	0x88
#define ISUP_PAR_PIVOT_ROUTING_BACKWARD_INFORMATION	0x89
#define ISUP_PAR_REDIRECT_STATUS			0x8a
#define ISUP_PAR_REDIRECT_FORWARD_INFORMATION		0x8b
#define ISUP_PAR_REDIRECT_BACKWARD_INFORMATION		0x8c
#define ISUP_PAR_NUMBER_PORTABILITY_FORWARD_INFORMATION 0x8d
#define ISUP_PAR_GENERIC_NUMBER				0xc0 /* T1.113: generic address */
#define ISUP_PAR_GENERIC_DIGITS				0xc1
/* ANSI T1.113 */
#define ISUP_PAR_OPERATOR_SERVICES_INFORMATION		0xc2
#define ISUP_PAR_EGRESS_SERVICE				0xc3
#define ISUP_PAR_JURISDICTION_INFORMATION		0xc4
#define ISUP_PAR_CARRIER_IDENTIFICATION			0xc5
#define ISUP_PAR_BUSINESS_GROUP				0xc6
#define ISUP_PAR_GENERIC_NAME				0xc7
#define ISUP_PAR_NOTIFICATION_INDICATOR			0xe1
#define ISUP_PAR_CIRCUIT_GROUP_CHARACTERISTIC_INDICATOR 0xe5
#define ISUP_PAR_CIRCUIT_VALIDATION_RESPONSE_INDICATOR	0xe6
#define ISUP_PAR_OUTGOING_TRUNK_GROUP_NUMBER		0xe7
#define ISUP_PAR_CIRCUIT_IDENTIFICATION_NAME		0xe8
#define ISUP_PAR_CLLI_CODE				0xe9
#define ISUP_PAR_ORIGINATING_LINE_INFORMATION		0xea
#define ISUP_PAR_CHARGE_NUMBER				0xeb
#define ISUP_PAR_SERVICE_CODE_INDICATOR			0xec
#define ISUP_PAR_SPECIAL_PROCESSING_REQUEST		0xed
#define ISUP_PAR_CARRIER_SELECTION_INFORMATION		0xee
#define ISUP_PAR_NETWORK_TRANSPORT			0xef

/* Nature of address indicator (Q.763 3.9 b). */
#define ISUP_NOA_SUBSCRIBER	      1
#define ISUP_NOA_UNKNOWN	      2
#define ISUP_NOA_NATIONAL	      3
#define ISUP_NOA_INTERNATIONAL	      4
#define ISUP_NOA_NETWORK_SPECIFIC     5
#define ISUP_NOA_NETWORK_ROUTING_NAT  6
#define ISUP_NOA_NETWORK_ROUTING_NSF  7
#define ISUP_NOA_NETWORK_ROUTING_CONC 8

/* Numbering plan indicator (Q.763 3.9 d). */
#define ISUP_NPI_ISDN	 1 /* E.164 */
#define ISUP_NPI_DATA	 3 /* X.121 */
#define ISUP_NPI_TELEX	 4 /* F.69 */
#define ISUP_NPI_PRIVATE 5

/* Address presentation restricted indicator (Q.763 3.10 e). */
#define ISUP_APRI_ALLOWED	0
#define ISUP_APRI_RESTRICTED	1
#define ISUP_APRI_NOT_AVAILABLE 2

/* Screening indicator (Q.763 3.10 f). */
#define ISUP_SCREEN_USER_NOT_VERIFIED 0
#define ISUP_SCREEN_USER_PASSED	      1
#define ISUP_SCREEN_USER_FAILED	      2
#define ISUP_SCREEN_NETWORK	      3

/* Circuit group supervision message type indicator (Q.763 3.13). */
#define ISUP_CGS_MAINTENANCE 0
#define ISUP_CGS_HARDWARE    1

/* Event indicator of the event information parameter (Q.763 3.21). */
#define ISUP_EVENT_ALERTING		   1
#define ISUP_EVENT_PROGRESS		   2
#define ISUP_EVENT_INBAND_INFO		   3
#define ISUP_EVENT_FORWARDED_BUSY	   4
#define ISUP_EVENT_FORWARDED_NO_REPLY	   5
#define ISUP_EVENT_FORWARDED_UNCONDITIONAL 6

/* Calling party's category (Q.763 3.11), the common ones. */
#define ISUP_CPC_UNKNOWN  0x00
#define ISUP_CPC_ORDINARY 0x0a
#define ISUP_CPC_PRIORITY 0x0b
#define ISUP_CPC_DATA	  0x0c
#define ISUP_CPC_TEST	  0x0d
#define ISUP_CPC_PAYPHONE 0x0f

/* Transmission medium requirement (Q.763 3.54). */
#define ISUP_TMR_SPEECH	     0
#define ISUP_TMR_64K_UNRESTR 2
#define ISUP_TMR_3K1_AUDIO   3

/* Cause location (Q.850 2.2.4). */
#define ISUP_LOC_USER		     0
#define ISUP_LOC_PRIVATE_LOCAL	     1
#define ISUP_LOC_PUBLIC_LOCAL	     2
#define ISUP_LOC_TRANSIT	     3
#define ISUP_LOC_PUBLIC_REMOTE	     4
#define ISUP_LOC_PRIVATE_REMOTE	     5
#define ISUP_LOC_INTERNATIONAL	     7
#define ISUP_LOC_BEYOND_INTERWORKING 10

/* Cause coding standard (Q.850 2.2.2). */
#define ISUP_CODING_ITU	     0
#define ISUP_CODING_NATIONAL 2

/* Q.850 cause values call control uses. */
#define ISUP_CAUSE_UNALLOCATED_NUMBER		  1
#define ISUP_CAUSE_NO_ROUTE_TRANSIT_NET		  2
#define ISUP_CAUSE_NO_ROUTE_DESTINATION		  3
#define ISUP_CAUSE_SEND_SPECIAL_TONE		  4
#define ISUP_CAUSE_MISDIALLED_TRUNK_PREFIX	  5
#define ISUP_CAUSE_PREEMPTION			  8
#define ISUP_CAUSE_NUMBER_PORTED		  14
#define ISUP_CAUSE_NORMAL_CLEARING		  16
#define ISUP_CAUSE_USER_BUSY			  17
#define ISUP_CAUSE_NO_USER_RESPONDING		  18
#define ISUP_CAUSE_NO_ANSWER			  19
#define ISUP_CAUSE_SUBSCRIBER_ABSENT		  20
#define ISUP_CAUSE_CALL_REJECTED		  21
#define ISUP_CAUSE_NUMBER_CHANGED		  22
#define ISUP_CAUSE_REDIRECTION			  23
#define ISUP_CAUSE_EXCHANGE_ROUTING_ERROR	  25
#define ISUP_CAUSE_NONSELECTED_USER_CLEARING	  26
#define ISUP_CAUSE_DESTINATION_OUT_OF_ORDER	  27
#define ISUP_CAUSE_INVALID_NUMBER_FORMAT	  28
#define ISUP_CAUSE_FACILITY_REJECTED		  29
#define ISUP_CAUSE_NORMAL_UNSPECIFIED		  31
#define ISUP_CAUSE_NO_CIRCUIT_AVAILABLE		  34
#define ISUP_CAUSE_NETWORK_OUT_OF_ORDER		  38
#define ISUP_CAUSE_TEMPORARY_FAILURE		  41
#define ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION 42
#define ISUP_CAUSE_ACCESS_INFO_DISCARDED	  43
#define ISUP_CAUSE_REQUESTED_CIRCUIT_UNAVAILABLE  44
#define ISUP_CAUSE_PRECEDENCE_CALL_BLOCKED	  46
#define ISUP_CAUSE_RESOURCE_UNAVAILABLE		  47
#define ISUP_CAUSE_QOS_NOT_AVAILABLE		  49
#define ISUP_CAUSE_FACILITY_NOT_SUBSCRIBED	  50
#define ISUP_CAUSE_INCOMING_BARRED_CUG		  55
#define ISUP_CAUSE_BEARER_NOT_AUTHORIZED	  57
#define ISUP_CAUSE_BEARER_NOT_AVAILABLE		  58
#define ISUP_CAUSE_SERVICE_NOT_AVAILABLE	  63
#define ISUP_CAUSE_BEARER_NOT_IMPLEMENTED	  65
#define ISUP_CAUSE_FACILITY_NOT_IMPLEMENTED	  69
#define ISUP_CAUSE_RESTRICTED_DIGITAL_ONLY	  70
#define ISUP_CAUSE_SERVICE_NOT_IMPLEMENTED	  79
#define ISUP_CAUSE_USER_NOT_MEMBER_CUG		  87
#define ISUP_CAUSE_INCOMPATIBLE_DESTINATION	  88
#define ISUP_CAUSE_NON_EXISTENT_CUG		  90
#define ISUP_CAUSE_INVALID_TRANSIT_NETWORK	  91
#define ISUP_CAUSE_INVALID_MESSAGE_UNSPECIFIED	  95
#define ISUP_CAUSE_MANDATORY_IE_MISSING		  96
#define ISUP_CAUSE_MESSAGE_TYPE_NONEXISTENT	  97
#define ISUP_CAUSE_IE_NONEXISTENT		  99
#define ISUP_CAUSE_INVALID_IE_CONTENTS		  100
#define ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY	  102
#define ISUP_CAUSE_PARAMETER_PASSED_ON		  103
#define ISUP_CAUSE_MESSAGE_DISCARDED		  110
#define ISUP_CAUSE_PROTOCOL_ERROR		  111
#define ISUP_CAUSE_INTERWORKING			  127

/* pdu.h: placeholder until the codec lands. */

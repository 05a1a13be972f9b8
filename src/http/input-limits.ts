/** Long enough that a JWT sent where a refresh token belongs is refused as a token (401), not as a field (400). */
export const TOKEN_MAX_LENGTH = 4096

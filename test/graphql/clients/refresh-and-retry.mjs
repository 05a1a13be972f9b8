// The NextSchool refresh-and-retry client (JavaScript fetch) from seed 001,
// unchanged but for the URL and the protected query; the URL and the tokens
// come from the environment: API_URL, ACCESS_TOKEN, REFRESH_TOKEN.
const API_URL = process.env.API_URL;

let accessToken = process.env.ACCESS_TOKEN;   // from login
let refreshToken = process.env.REFRESH_TOKEN; // from login

async function fetchWithRefresh(query, variables = {}) {
  // Step 1: Try the request
  let res = await fetch(API_URL, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Authorization': `Bearer ${accessToken}`
    },
    body: JSON.stringify({ query, variables })
  });
  let result = await res.json();

  // Step 2: Check for expired token
  if (result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') {
    console.log('Token expired, refreshing...');

    // Step 3: Refresh the token
    const refreshRes = await fetch(API_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        query: `mutation { refreshToken(refreshToken: "${refreshToken}") {
          accessToken expiresIn
        }}`
      })
    });
    const refreshResult = await refreshRes.json();

    if (refreshResult.errors) {
      throw new Error('Refresh token expired. Please login again.');
    }

    accessToken = refreshResult.data.refreshToken.accessToken;
    console.log('Token refreshed successfully.');

    // Step 4: Retry with the new token
    res = await fetch(API_URL, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Authorization': `Bearer ${accessToken}`
      },
      body: JSON.stringify({ query, variables })
    });
    result = await res.json();
  }

  return result.data;
}

// Usage
const me = await fetchWithRefresh(
  '{ me { id username } }'
);
console.log(me);

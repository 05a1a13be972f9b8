# The NextSchool refresh-and-retry client (Python requests) from seed 001,
# unchanged but for the URL and the protected query; the URL and the tokens
# come from the environment: API_URL, ACCESS_TOKEN, REFRESH_TOKEN.
import os

import requests

API_URL = os.environ['API_URL']

access_token = os.environ['ACCESS_TOKEN']   # from login
refresh_token = os.environ['REFRESH_TOKEN']  # from login

def fetch_with_refresh(query: str, variables: dict = None):
    global access_token

    # Step 1: Try the request
    resp = requests.post(API_URL, headers={
        'Content-Type': 'application/json',
        'Authorization': f'Bearer {access_token}',
    }, json={'query': query, 'variables': variables or {}})
    result = resp.json()

    # Step 2: Check for expired token
    errors = result.get('errors', [])
    if errors and errors[0].get('extensions', {}).get('code') == 'UNAUTHENTICATED':
        print('Token expired, refreshing...')

        # Step 3: Refresh the token
        refresh_resp = requests.post(API_URL, json={
            'query': f'''mutation {{
                refreshToken(refreshToken: "{refresh_token}") {{
                    accessToken expiresIn
                }}
            }}'''
        })
        refresh_result = refresh_resp.json()

        if 'errors' in refresh_result:
            raise Exception('Refresh token expired. Please login again.')

        access_token = refresh_result['data']['refreshToken']['accessToken']
        print('Token refreshed successfully.')

        # Step 4: Retry with the new token
        resp = requests.post(API_URL, headers={
            'Content-Type': 'application/json',
            'Authorization': f'Bearer {access_token}',
        }, json={'query': query, 'variables': variables or {}})
        result = resp.json()

    return result['data']

# Usage
me = fetch_with_refresh(
    '{ me { id username } }'
)
print(me)

/** Who is signed in; signing in and out. */
import { graphql } from './generated';
import type { MeQuery } from './generated/graphql';

export const ME = graphql(`
  query Me {
    me { id name roles department { name } }
  }
`);

export const SIGN_IN = graphql(`
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      staff { id name roles department { name } }
      userErrors { field code message }
    }
  }
`);

export const SIGN_OUT = graphql(`
  mutation SignOut {
    signOut { signedOut }
  }
`);

export type StaffRef = NonNullable<MeQuery['me']>;

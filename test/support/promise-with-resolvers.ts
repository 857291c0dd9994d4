// The one polyfill, shared with the local cloud's Step Functions runner: aws-local-stepfunctions
// needs Promise.withResolvers, which Node 20 lacks.
import '../../tools/local-cloud/promise-with-resolvers';

// ml-regression ships no type declarations; its regressions are the typed ml-regression-* packages.
declare module 'ml-regression' {
  export { SimpleLinearRegression } from 'ml-regression-simple-linear';
}

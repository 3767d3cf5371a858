// The test suite installs the older majors under aliases; they share the current majors' typings.
declare module 'express4' {
  import express from 'express'
  export default express
}

declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}

declare module 'fastify-cors4' {
  import cors from '@fastify/cors'
  export default cors
}

import { conformance } from "../conformance/suite.js";
import { wsConnect } from "./ws-connect.js";

conformance("the Workers test pool", { connect: wsConnect, ordersBursts: false });

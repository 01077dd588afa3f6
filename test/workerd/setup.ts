import { afterEach } from "vitest";
import { closeAll } from "./ws-connect.js";

afterEach(closeAll);

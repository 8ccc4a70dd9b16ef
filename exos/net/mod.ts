/**
 * ExOS's networking: ARP with a cache, IPv4 (no fragmentation: fragments are refused), ICMP echo
 * and UDP, on Aegis's exported network (packet filters, rings in the library's own pages, ASHs),
 * and the UNIX personality's socket calls.
 *
 *   packet.ts   bytes on the wire: fields, the Internet checksum, addresses, Ethernet
 *   arp.ts      ARP and its cache
 *   ip.ts       IPv4, ICMP echo, UDP
 *   ash.ts      the handlers ExOS downloads into the kernel (ARP, echo, the UDP ping-pong)
 *   link.ts     one environment's filters, rings and transmit page
 *   stack.ts    the stack: its own environment, sockets, blocking
 *   socket.ts   socket, bind, sendto, recvfrom, setsockopt, close
 *
 * @module
 */

export { ARP_OP, ARP_TIMING, ArpCache, arpFrame, arpRequest, parseArp } from "./arp.ts";
export { arpResponder, ASH_PAGE, echoResponder, pingPong } from "./ash.ts";
export { ICMP, icmpMessage, ipFrame, MTU, parseIp, parseUdp, UDP_MAX, udpDatagram } from "./ip.ts";
export { isNetPage, Link, NET_PAGE, NetCallError, Ring } from "./link.ts";
export {
  BROADCAST,
  checksum,
  ETHER,
  formatIp,
  formatMac,
  parseIp as parseAddress,
  PROTO,
} from "./packet.ts";
export { SOCKET_CALLS, socketCall, SOCKOPT } from "./socket.ts";
export {
  BLOCK,
  NET_COSTS,
  NET_ERRNO,
  type NetConfig,
  type NetProcess,
  NetStack,
  type NetStackStats,
  type Received,
  SOCKET_FD,
} from "./stack.ts";

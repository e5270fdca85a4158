export const TEST_IMAGE = 'localhost/steadfast-test-busybox:1';

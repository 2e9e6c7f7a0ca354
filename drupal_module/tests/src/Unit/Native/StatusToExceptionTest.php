<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\entra_provisioning\Native\Exception\AuthException;
use Drupal\entra_provisioning\Native\Exception\ConfigException;
use Drupal\entra_provisioning\Native\Exception\ConflictException;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\GraphException;
use Drupal\entra_provisioning\Native\Exception\InvalidArgumentException;
use Drupal\entra_provisioning\Native\Exception\NativePanicException;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
use Drupal\entra_provisioning\Native\Exception\NotFoundException;
use Drupal\entra_provisioning\Native\Exception\PermissionException;
use Drupal\entra_provisioning\Native\Exception\ThrottledException;
use Drupal\entra_provisioning\Native\Exception\TransientException;
use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\entra_provisioning\Native\Status;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

/**
 * Status code → exception class, without the native library.
 */
final class StatusToExceptionTest extends TestCase {

  /**
   * @return array<string, array{0: int, 1: class-string<EntraException>, 2: bool}>
   */
  public static function statusProvider(): array {
    return [
      'invalid_argument' => [Status::INVALID_ARGUMENT, InvalidArgumentException::class, FALSE],
      'config' => [Status::CONFIG, ConfigException::class, FALSE],
      'auth' => [Status::AUTH, AuthException::class, FALSE],
      'permission' => [Status::PERMISSION, PermissionException::class, FALSE],
      'validation' => [Status::VALIDATION, ValidationException::class, FALSE],
      'conflict' => [Status::CONFLICT, ConflictException::class, FALSE],
      'not_found' => [Status::NOT_FOUND, NotFoundException::class, FALSE],
      'throttled' => [Status::THROTTLED, ThrottledException::class, TRUE],
      'transient' => [Status::TRANSIENT, TransientException::class, TRUE],
      'graph' => [Status::GRAPH, GraphException::class, FALSE],
      'panic' => [Status::PANIC, NativePanicException::class, FALSE],
    ];
  }

  /**
   * @dataProvider statusProvider
   *
   * @param class-string<EntraException> $class
   */
  #[DataProvider('statusProvider')]
  public function testStatusDecidesTheClass(int $status, string $class, bool $retryable): void {
    // The JSON kind deliberately disagrees: the status decides the class,
    // and the kind is reported as the library wrote it.
    $e = EntraException::fromStatus($status, ['kind' => 'graph', 'message' => 'boom'], 'entra_x');
    $this->assertInstanceOf($class, $e);
    $this->assertSame('graph', $e->kind());
    $this->assertSame($status, $e->getCode());
    $this->assertSame($status, $e->status());
    $this->assertSame('boom', $e->getMessage());
    $this->assertSame('entra_x', $e->operation());
    // Whether to retry is the library's call, made in its JSON; the class
    // never implies it.
    $this->assertFalse($e->isRetryable());
    $this->assertSame($retryable, EntraException::fromStatus($status, ['kind' => 'graph', 'message' => 'boom', 'retryable' => $retryable])->isRetryable());
  }

  public function testRetryableAndScopeAreReadFromTheJsonNotDerivedFromTheClass(): void {
    $throttledButFinal = EntraException::fromStatus(Status::THROTTLED, ['message' => 'x', 'retryable' => FALSE, 'scope' => 'user']);
    $this->assertInstanceOf(ThrottledException::class, $throttledButFinal);
    $this->assertFalse($throttledButFinal->isRetryable());
    $this->assertSame('user', $throttledButFinal->scope());

    $permission = EntraException::fromStatus(Status::PERMISSION, ['message' => 'x', 'retryable' => FALSE, 'scope' => 'connection']);
    $this->assertSame('connection', $permission->scope());
    $this->assertSame('connection', $permission->toArray()['scope']);

    // Anything the binding cannot read is the safe answer: not retried, and
    // the connection's (the queue stops rather than failing users one by one).
    foreach ([[], ['retryable' => 'yes', 'scope' => 'User'], ['retryable' => 1, 'scope' => NULL]] as $details) {
      $e = EntraException::fromStatus(Status::GRAPH, ['message' => 'x'] + $details);
      $this->assertFalse($e->isRetryable());
      $this->assertSame('connection', $e->scope());
    }
  }

  /**
   * @dataProvider statusProvider
   *
   * @param class-string<EntraException> $class
   */
  #[DataProvider('statusProvider')]
  public function testBulkErrorsMapByTheirStatus(int $status, string $class, bool $retryable): void {
    $e = EntraException::fromErrorArray(['kind' => 'whatever', 'status' => $status, 'message' => 'x']);
    $this->assertInstanceOf($class, $e);
    $this->assertSame($status, $e->status());
    $this->assertSame('whatever', $e->kind());
  }

  /**
   * The library's own list (entra_describe, kept equal to the fixture by
   * LibraryFactsTest) is the oracle: every status it can return has its own
   * exception class, named after its kind, and no status is missing from
   * the provider above.
   */
  public function testEveryStatusTheLibraryReportsHasItsOwnClass(): void {
    $statuses = (new \Drupal\entra_provisioning\Native\LibraryFacts(FakeNativeFactory::fixtureFacts()))->statuses();
    $this->assertNotEmpty($statuses);
    $provided = array_column(self::statusProvider(), 0);
    foreach ($statuses as $status => $entry) {
      if ($status === Status::OK) {
        continue;
      }
      $this->assertContains($status, $provided, $entry['kind'] . ' is missing from the provider');
      $e = EntraException::fromStatus($status, ['kind' => $entry['kind'], 'message' => 'x']);
      $this->assertNotSame(EntraException::class, get_class($e), $entry['kind']);
      $short = str_replace('_', '', ucwords($entry['kind'], '_'));
      $this->assertStringEndsWith('\\' . ($short === 'Panic' ? 'NativePanic' : $short) . 'Exception', get_class($e), $entry['kind']);
      $this->assertSame($status, constant(Status::class . '::' . strtoupper($entry['kind'])));
    }
  }

  public function testUnknownStatusFallsBackToTheBaseClass(): void {
    $e = EntraException::fromStatus(99, ['kind' => 'future_kind'], 'entra_y');
    $this->assertSame(EntraException::class, get_class($e));
    $this->assertSame('future_kind', $e->kind());
    $this->assertStringContainsString('status 99', $e->getMessage());
    $this->assertFalse($e->isRetryable());
  }

  public function testGettersReadTheErrorJson(): void {
    $e = EntraException::fromStatus(Status::THROTTLED, [
      'kind' => 'throttled',
      'message' => 'Too many requests',
      'http_status' => 429,
      'graph_code' => 'TooManyRequests',
      'request_id' => 'req-1',
      'retry_after_s' => 7,
      'retryable' => TRUE,
      'field' => NULL,
      'hint' => 'wait',
      'aadsts' => NULL,
      'future' => 'kept',
    ], 'entra_provision_user');
    $this->assertSame(429, $e->httpStatus());
    $this->assertSame('TooManyRequests', $e->graphCode());
    $this->assertSame('req-1', $e->requestId());
    $this->assertSame(7.0, $e->retryAfterSeconds());
    $this->assertNull($e->field());
    $this->assertSame('wait', $e->hint());
    $this->assertNull($e->aadsts());
    $this->assertSame('kept', $e->details()['future']);

    $array = $e->toArray();
    $this->assertSame(ThrottledException::class, $array['exception']);
    $this->assertSame('throttled', $array['kind']);
    $this->assertSame(Status::THROTTLED, $array['status']);
    $this->assertSame('req-1', $array['request_id']);
    $this->assertTrue($array['retryable']);
    $this->assertArrayNotHasKey('trace', $array);
    $this->assertArrayNotHasKey('future', $array, 'toArray() lists only known, log-safe fields');
    $this->assertNotFalse(json_encode($array));
  }

  public function testWrongTypesInTheErrorJsonAreIgnored(): void {
    $e = EntraException::fromStatus(Status::GRAPH, [
      'message' => '',
      'http_status' => 'x',
      'request_id' => 42,
      'retry_after_s' => '5',
    ], 'entra_find_user');
    $this->assertNull($e->httpStatus());
    $this->assertNull($e->requestId());
    $this->assertNull($e->retryAfterSeconds());
    $this->assertStringContainsString('entra_find_user', $e->getMessage());
  }

  public function testUnavailableIsAnEntraException(): void {
    $e = new NativeUnavailableException('no FFI');
    $this->assertInstanceOf(EntraException::class, $e);
    $this->assertSame('unavailable', $e->kind());
    $this->assertSame(-1, $e->status());
    $this->assertFalse($e->isRetryable());
  }

}

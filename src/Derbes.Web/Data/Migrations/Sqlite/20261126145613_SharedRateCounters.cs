using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SharedRateCounters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RateCounters",
                columns: table => new
                {
                    Key = table.Column<string>(type: "TEXT", maxLength: 96, nullable: false),
                    WindowStart = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RateCounters", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RateCounters_WindowStart",
                table: "RateCounters",
                column: "WindowStart");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RateCounters");
        }
    }
}
